package dev.coemesh.gateway.limit;

/** Reads an {@link TenantLimits.Admission} in a test, failing with the reason when it is not. */
final class Admissions {
  private Admissions() {}

  static boolean isGranted(TenantLimits.Admission a) {
    return a instanceof TenantLimits.Admission.Granted;
  }

  static TenantLimits.Admission.Granted granted(TenantLimits.Admission a) {
    return switch (a) {
      case TenantLimits.Admission.Granted g -> g;
      case TenantLimits.Admission.Refused r ->
          throw new AssertionError("refused: " + r.refusal().error().getMessage());
    };
  }

  static LimitRefusal refusal(TenantLimits.Admission a) {
    return switch (a) {
      case TenantLimits.Admission.Refused r -> r.refusal();
      case TenantLimits.Admission.Granted g -> throw new AssertionError("let in: " + g);
    };
  }
}
