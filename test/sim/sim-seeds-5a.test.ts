// 250 of the 500 5-node seeds that `npm test` runs (see seed-range.ts).
import { describeSeedRange } from './seed-range.js';

describeSeedRange(5, 1, 250);
