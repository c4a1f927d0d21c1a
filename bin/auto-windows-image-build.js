#!/usr/bin/env node
import "../dist/bin/auto-windows-image-build/main.js";
