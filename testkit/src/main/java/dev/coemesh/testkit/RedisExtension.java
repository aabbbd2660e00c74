package dev.coemesh.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test a real, shared {@link RedisServer}: declare a {@code RedisServer} parameter on a
 * test method, constructor or lifecycle method of a class annotated
 * {@code @ExtendWith(RedisExtension.class)}.
 */
public final class RedisExtension implements ParameterResolver {
  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == RedisServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return RealServers.redis(context);
  }
}
