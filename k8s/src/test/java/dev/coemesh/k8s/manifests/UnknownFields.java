package dev.coemesh.k8s.manifests;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fields of a parsed manifest that its fabric8 model type does not know. fabric8 keeps them in
 * each object's {@code additionalProperties} instead of failing, so a misspelt field (a probe under
 * the wrong key, {@code readOnlyRootFilesytem}) would otherwise pass unseen.
 */
final class UnknownFields {
  private UnknownFields() {}

  /**
   * Paths ({@code spec.template.spec.containers[0].foo}) of every unknown field under {@code root}.
   */
  static List<String> of(Object root) {
    List<String> found = new ArrayList<>();
    walk(root, "", found);
    return found;
  }

  private static void walk(Object node, String path, List<String> found) {
    switch (node) {
      case null -> {}
      case List<?> list -> {
        for (int i = 0; i < list.size(); i++) {
          walk(list.get(i), path + "[" + i + "]", found);
        }
      }
      case Map<?, ?> map -> map.forEach((k, v) -> walk(v, path + "[" + k + "]", found));
      default -> {
        if (node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
          walkModel(node, path, found);
        }
      }
    }
  }

  private static void walkModel(Object node, String path, List<String> found) {
    for (Method getter : node.getClass().getMethods()) {
      if (getter.getParameterCount() != 0
          || Modifier.isStatic(getter.getModifiers())
          || !getter.getName().startsWith("get")
          || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      Object value = invoke(getter, node);
      if (getter.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
          extra.keySet().forEach(k -> found.add(path + (path.isEmpty() ? "" : ".") + k));
        }
        continue;
      }
      String name =
          Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
      walk(value, path + (path.isEmpty() ? "" : ".") + name, found);
    }
  }

  private static Object invoke(Method getter, Object node) {
    try {
      return getter.invoke(node);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException(getter + " of " + node.getClass().getName(), e);
    }
  }
}
