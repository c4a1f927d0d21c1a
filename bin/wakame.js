#!/usr/bin/env node
import "../dist/bin/wakame/main.js";
