#!/usr/bin/env node
import "../dist/src/cli/wakame/main.js";
