// 125 of the 250 5-node seeds that `npm test` runs (see seed-range.ts): 500 seeds of 2,000 steps in all,
// the 500 the simulator issue asks of `npm test`; `npm run sim -- --seeds N` runs more.
import { describeSeedRange } from './seed-range.js';

describeSeedRange(5, 1, 125);
