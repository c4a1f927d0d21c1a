#!/usr/bin/env node
import { checkNode } from "./check-node.js";

checkNode("needle");
await import("../dist/bin/needle/main.js");
