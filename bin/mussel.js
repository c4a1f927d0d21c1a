#!/usr/bin/env node
import { checkNode } from "./check-node.js";

checkNode("mussel");
await import("../dist/bin/mussel/main.js");
