#!/usr/bin/env node
import "../dist/bin/vdc-manage/main.js";
