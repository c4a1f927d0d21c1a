#!/usr/bin/env node
import { checkNode } from "./check-node.js";

checkNode("hva");
await import("../dist/bin/hva/main.js");
