#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The scheduler process: runs its bundle, built from the sources when needed (tools/launcher.cjs).
'use strict';
require('../../../tools/launcher.cjs').launch('scheduler');
