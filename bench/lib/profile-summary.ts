import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` and the inspector write) used here. */
interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** One line of a profile summary. */
export interface ProfileEntry {
  readonly name: string;
  /** Share of the main thread's non-idle samples. */
  readonly share: number;
  /** Estimated CPU microseconds per request (see {@link ProfileSummary}). */
  readonly microsPerRequest: number;
}

/**
 * Where the CPU time of one request goes. The sampler runs on wall-clock time: on cores shared with
 * the load generator, a thread preempted on its way out of a system call keeps collecting samples
 * there, so socket writes look far bigger than the CPU they cost. Samples are therefore converted
 * to microseconds against measured CPU time: the samples of system-call work (socket writes, and
 * `(program)`, where libuv reads sockets outside JavaScript) against the server's system time,
 * every other sample against its user time. An estimate, but one whose JavaScript and native
 * (HMAC, JSON.parse) figures add up to the user CPU actually measured.
 */
export interface ProfileSummary {
  readonly label: string;
  readonly file: string;
  readonly requests: number;
  /** Server process CPU time per request (user, system), measured in a run without profiler. */
  readonly cpuUserMicrosPerRequest: number;
  readonly cpuSystemMicrosPerRequest: number;
  /** CPU (user + system) per request during the profiled run: the excess is the profiler's. */
  readonly profiledCpuMicrosPerRequest: number;
  /** Self time by component (native code counted in the component that called it). */
  readonly components: readonly ProfileEntry[];
  /** Functions with the most self time. */
  readonly topSelf: readonly ProfileEntry[];
  /** Inclusive time of this package's functions, and of JSON and crypto natives. */
  readonly inclusive: readonly ProfileEntry[];
}

const IDLE = '(idle)';
const LIBRARY = 'nestjs-visiwise-webhook';
/** Natives that write to a socket: their samples are mostly kernel time (and preemption). */
const SOCKET_WRITES = /^(writev|writeBuffer|write(Utf8|Latin1|Ascii|Ucs2)String)$/;
const SOCKET_WRITES_COMPONENT = 'socket writes (system calls)';

/** Where a script belongs: this package, the bench app, an npm package, or a part of Node. */
function componentOf(url: string, functionName: string): string | undefined {
  if (url === '') {
    if (functionName === '(garbage collector)') {
      return 'GC';
    }
    if (functionName === IDLE || functionName === '(program)' || functionName === '(root)') {
      return functionName;
    }
    return undefined; // a builtin or native function: counted in its caller's component
  }
  if (url.includes('/dist/libs/visiwise-webhook/') || url.includes('/libs/visiwise-webhook/src/')) {
    return LIBRARY;
  }
  if (url.includes('/dist/bench/')) {
    return 'bench app';
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    const first = parts[0] ?? '?';
    return first.startsWith('@') ? `${first}/${parts[1] ?? '?'}` : first;
  }
  if (url.startsWith('node:')) {
    if (url.includes('crypto')) {
      return 'node: crypto';
    }
    if (/http|_http_/.test(url)) {
      return 'node: http';
    }
    if (/stream|net|socket|tcp|buffer/.test(url)) {
      return 'node: net, streams, buffers';
    }
    return 'node: other';
  }
  return 'other';
}

function add<K>(map: Map<K, number>, key: K, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

/**
 * Attributes the samples of a CPU profile to components and functions, per request served while
 * it was recorded.
 */
export function summariseProfile(
  file: string,
  label: string,
  measured: {
    readonly requests: number;
    readonly cpuUserMicrosPerRequest: number;
    readonly cpuSystemMicrosPerRequest: number;
    readonly profiledCpuMicrosPerRequest: number;
  },
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta.
  for (let index = 0; index < samples.length; index++) {
    const id = samples[index];
    if (id !== undefined) {
      add(selfMicros, id, deltas[index + 1] ?? 0);
    }
  }

  // Sampled microseconds per key, split into socket-write samples and the rest.
  type Sampled = { user: number; system: number };
  const components = new Map<string, Sampled>();
  const topSelf = new Map<string, Sampled>();
  const inclusive = new Map<string, Sampled>();
  const count = (map: Map<string, Sampled>, key: string, micros: number, system: boolean): void => {
    const entry = map.get(key) ?? { user: 0, system: 0 };
    if (system) {
      entry.system += micros;
    } else {
      entry.user += micros;
    }
    map.set(key, entry);
  };
  let userMicros = 0;
  let systemMicros = 0;

  // Depth-first over the call tree, carrying the component of the nearest JS caller and the set of
  // functions on the stack (each counted once per sample, whatever the recursion).
  const root = profile.nodes[0];
  const stack: { node: CpuProfileNode; component: string; onStack: ReadonlySet<string> }[] = [];
  if (root) {
    stack.push({ node: root, component: '(root)', onStack: new Set() });
  }
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const { node } = entry;
    const { functionName, url } = node.callFrame;
    const caller = componentOf(url, functionName) ?? entry.component;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const socketWrite = url === '' && SOCKET_WRITES.test(name);
    const system = socketWrite || functionName === '(program)';
    const component = socketWrite ? SOCKET_WRITES_COMPONENT : caller;
    const key =
      url === ''
        ? `${name} [native, in ${caller}]`
        : component === LIBRARY
          ? `${name} (${basename(url)})`
          : `${name} (${component}: ${basename(url)})`;
    const onStack = new Set(entry.onStack);
    if (
      component === LIBRARY ||
      (url === '' && (caller === 'node: crypto' || /^(parse|stringify)$/.test(name)))
    ) {
      onStack.add(key);
    }
    const micros = selfMicros.get(node.id) ?? 0;
    if (functionName !== IDLE && micros > 0) {
      if (system) {
        systemMicros += micros;
      } else {
        userMicros += micros;
      }
      count(components, component, micros, system);
      count(topSelf, key, micros, system);
      for (const function_ of onStack) {
        count(inclusive, function_, micros, system);
      }
    }
    for (const childId of node.children ?? []) {
      const child = byId.get(childId);
      if (child) {
        stack.push({ node: child, component: caller, onStack });
      }
    }
  }

  const busy = Math.max(1, userMicros + systemMicros);
  const toEntries = (map: ReadonlyMap<string, Sampled>, limit: number): ProfileEntry[] =>
    [...map.entries()]
      .map(([name, sampled]) => ({
        name,
        share: (sampled.user + sampled.system) / busy,
        microsPerRequest:
          (sampled.user / Math.max(1, userMicros)) * measured.cpuUserMicrosPerRequest +
          (sampled.system / Math.max(1, systemMicros)) * measured.cpuSystemMicrosPerRequest,
      }))
      .sort((a, b) => b.microsPerRequest - a.microsPerRequest)
      .slice(0, limit);
  return {
    label,
    file,
    requests: measured.requests,
    cpuUserMicrosPerRequest: measured.cpuUserMicrosPerRequest,
    cpuSystemMicrosPerRequest: measured.cpuSystemMicrosPerRequest,
    profiledCpuMicrosPerRequest: measured.profiledCpuMicrosPerRequest,
    components: toEntries(components, 30),
    topSelf: toEntries(topSelf, 40),
    inclusive: toEntries(inclusive, 30),
  };
}
