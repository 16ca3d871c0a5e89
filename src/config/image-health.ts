/** Whether a service's image can supply the healthcheck `depends_on: service_healthy` waits on. */
import type { Service } from './model.js';

/**
 * True when the stack file sets no healthcheck (nor disables one) and the image is a real one
 * (built, pulled or imported): its HEALTHCHECK, if it has one, is what Compose waits on. The host's
 * directories and the empty image never have one.
 */
export function mayHaveImageHealthcheck(service: Pick<Service, 'healthcheck' | 'image' | 'build'>): boolean {
  if (service.healthcheck !== undefined) return false;
  return service.build !== undefined || (service.image !== undefined && service.image !== 'host' && service.image !== 'scratch');
}
