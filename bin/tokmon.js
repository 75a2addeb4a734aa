#!/usr/bin/env node
import '../dist/cli/tokmon.js';
