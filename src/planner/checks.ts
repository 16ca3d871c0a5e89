/** Whether a service has something to wait on before it counts as healthy. */
import type { Service } from '../config/model.js';

/** A healthcheck that is not switched off (`test: ["NONE"]`). */
export function hasHealthcheck(service: Service): boolean {
  return service.healthcheck !== undefined && service.healthcheck.test[0] !== 'NONE';
}

/** Whether a service can be waited on to be healthy: a healthcheck, a ready check, or both. */
export function hasChecks(service: Service): boolean {
  return hasHealthcheck(service) || service.ready !== undefined;
}

export { mayHaveImageHealthcheck } from '../config/image-health.js';
