// 250 of the 500 3-node seeds that `npm test` runs (see seed-range.ts).
import { describeSeedRange } from './seed-range.js';

describeSeedRange(3, 1, 250);
