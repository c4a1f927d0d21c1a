#!/usr/bin/env node
import "../dist/bin/needle/main.js";
