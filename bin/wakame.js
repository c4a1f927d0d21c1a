#!/usr/bin/env node
import { checkNode } from "./check-node.js";

checkNode("wakame");
await import("../dist/bin/wakame/main.js");
