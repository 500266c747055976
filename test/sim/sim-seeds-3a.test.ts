// 150 of the 300 3-node seeds that `npm test` runs (see seed-range.ts): 600 seeds of 2,000 steps in all,
// above the 500 the simulator issue asks of `npm test`; `npm run sim -- --seeds N` runs more.
import { describeSeedRange } from './seed-range.js';

describeSeedRange(3, 1, 150);
