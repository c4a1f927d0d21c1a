#!/usr/bin/env node
import { checkNode } from "./check-node.js";

checkNode("build-dir-utils");
await import("../dist/bin/build-dir-utils/main.js");
