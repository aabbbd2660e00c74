package dev.coemesh.k8s.expert;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One expert of the mesh as a Kubernetes object: what it serves, how and within which latency
 * objectives. Its CRD ({@code k8s/base/crd/}) is generated from these types by fabric8's
 * crd-generator and checked against them by {@code ExpertCrdTest}; an operator reconciling it into
 * worker Deployments is a later step of the Kubernetes work.
 */
@Group(Expert.GROUP)
@Version(Expert.VERSION)
@ShortNames("cex")
public final class Expert extends CustomResource<ExpertSpec, ExpertStatus> implements Namespaced {
  public static final String GROUP = "coemesh.dev";
  public static final String VERSION = "v1alpha1";
}
