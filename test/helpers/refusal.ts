/** @module The error a call throws, checked to be of the expected class. */

/**
 * Runs `call` and returns what it threw when that is an `ErrorClass`; any other throw is
 * passed on, and no throw at all fails the test.
 */
export function refusal<E extends Error>(
  ErrorClass: abstract new (...args: never[]) => E,
  call: () => unknown,
): E {
  try {
    call();
  } catch (e) {
    if (e instanceof ErrorClass) {
      return e;
    }
    throw e;
  }
  throw new Error(`expected a ${ErrorClass.name}`);
}
