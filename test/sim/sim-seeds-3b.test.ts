// 125 of the 250 3-node seeds that `npm test` runs (see seed-range.ts): 500 seeds of 2,000 steps in all,
// the 500 the simulator issue asks of `npm test`; `npm run sim -- --seeds N` runs more.
import { describeSeedRange } from './seed-range.js';

describeSeedRange(3, 126, 125);
