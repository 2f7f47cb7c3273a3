#!/usr/bin/env node
// The `visiwise-webhook` command of nestjs-visiwise-webhook (docs/CLI.md, or run it with --help).
// scripts/build-lib.mjs copies this file to dist/libs/visiwise-webhook/bin/, beside the compiled
// cli/cli.js it loads; the compiled sources themselves carry no shebang.
'use strict';

require('../cli/cli.js').main();
