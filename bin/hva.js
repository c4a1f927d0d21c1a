#!/usr/bin/env node
import "../dist/bin/hva/main.js";
