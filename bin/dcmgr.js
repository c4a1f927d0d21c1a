#!/usr/bin/env node
import { checkNode } from "./check-node.js";

checkNode("dcmgr");
await import("../dist/bin/dcmgr/main.js");
