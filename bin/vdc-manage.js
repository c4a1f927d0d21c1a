#!/usr/bin/env node
import "../dist/src/cli/vdc-manage/main.js";
