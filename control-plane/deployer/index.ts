/** The blue-green deployer, run by the Deployment controller for `strategy.type: BlueGreen`. */
export { BlueGreenDeployer } from './blue-green-deployer.js';
export type { AnnotationChanges, BlueGreenHost, BlueGreenRollout } from './blue-green-deployer.js';
export { blueGreenSettings, isHealthy, presumedActive } from './blue-green-spec.js';
export type { BlueGreenSettings } from './blue-green-spec.js';
export {
  ABORT_ANNOTATION,
  ACTIVE_REVISION_ANNOTATION,
  BLUE_GREEN_EVENTS,
  BLUE_GREEN_REASONS,
  HEALTH_DEADLINE_ANNOTATION,
  PROMOTE_ANNOTATION,
  SCALE_DOWN_DEADLINE_ANNOTATION,
} from './constants.js';
export { endpointsFollow, pinnedHash, pinnedTo } from './service-pinning.js';
