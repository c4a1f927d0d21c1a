#!/usr/bin/env node
import "../dist/bin/mussel/main.js";
