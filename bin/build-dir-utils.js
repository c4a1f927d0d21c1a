#!/usr/bin/env node
import "../dist/bin/build-dir-utils/main.js";
