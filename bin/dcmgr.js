#!/usr/bin/env node
import "../dist/bin/dcmgr/main.js";
