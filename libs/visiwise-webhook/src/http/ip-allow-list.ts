import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { invalidAllowedIpMessage } from './http.messages';

/** An allow-list of addresses and CIDR ranges, built on node:net's BlockList. */
export interface IpAllowList {
  allows(address: string | undefined): boolean;
}

/** Parses `allowedIps`; a malformed entry fails the start with its position (never guessed). */
export function createIpAllowList(entries: readonly string[]): IpAllowList {
  const list = new BlockList();
  entries.forEach((entry, index) => {
    // Options often come from untyped configuration: check, don't trust, the element type.
    const raw: unknown = entry;
    const text = typeof raw === 'string' ? raw.trim() : '';
    const [address = '', prefix, extra] = text.split('/');
    const type = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    const bits = prefix === undefined ? undefined : Number(prefix);
    const maxBits = type === 'ipv4' ? 32 : 128;
    if (
      !type ||
      extra !== undefined ||
      (bits !== undefined && (!/^\d{1,3}$/.test(prefix ?? '') || bits > maxBits))
    ) {
      throw new VisiwiseConfigurationError(invalidAllowedIpMessage(index, JSON.stringify(raw)));
    }
    if (bits === undefined) {
      list.addAddress(address, type);
    } else {
      list.addSubnet(address, bits, type);
    }
  });
  return {
    allows(address) {
      if (address === undefined || address === '') {
        return false;
      }
      // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
      const plain = mapped ?? address;
      if (isIPv4(plain)) {
        return list.check(plain, 'ipv4');
      }
      return isIPv6(plain) && list.check(plain, 'ipv6');
    },
  };
}
