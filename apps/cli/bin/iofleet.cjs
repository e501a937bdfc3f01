#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The `iofleet` command: runs the CLI's bundle, built from the sources when needed (tools/launcher.cjs).
'use strict';
require('../../../tools/launcher.cjs').launch('cli');
