package dev.coemesh.worker.auth;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Presents the mesh credential on every call of a stub (the client side of {@link
 * MeshCredentialInterceptor}).
 */
public final class MeshCallCredentials extends CallCredentials {
  private final MeshCredential credential;

  public MeshCallCredentials(MeshCredential credential) {
    this.credential = Objects.requireNonNull(credential, "credential");
  }

  @Override
  public void applyRequestMetadata(
      RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
    Metadata headers = new Metadata();
    headers.put(MeshCredentialInterceptor.AUTHORIZATION, credential.authorization());
    applier.apply(headers);
  }
}
