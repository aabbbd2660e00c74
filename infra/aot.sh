# JDK 25 ahead-of-time cache for the launcher's java processes (JEP 483 class loading and linking,
# JEP 514 one-step training, JEP 515 method profiles). Sourced by ./mesh; needs JAVA_HOME and the
# JAVA_OPTS_MESH array.
#
# A cache belongs to one NAME (generate, up, worker...) and is keyed on what the JVM itself checks
# when it maps a cache: the JDK build, the JVM options, and every classpath jar's path, size and
# modification time (NAME-OPTIONS-JARS.aot). The first run of a key is the training run: it records into a file of its own
# and the launcher moves that into place when it exits, so a run that fails or is killed leaves
# nothing half-written, and runs that train at once never share a file. Later runs map the cache;
# a rebuilt jar changes the key, and the next run trains again and removes NAME's older caches of the same options.
#
# MESH_AOT: on (default) | off | verbose (say which cache a run uses and log the JVM's AOT lines).
# MESH_AOT_DIR: where caches live (default $ROOT/target/aot, never committed).

aot_enabled() {
  case "${MESH_AOT:-on}" in
    off | 0 | no | false) return 1 ;;
    *) return 0 ;;
  esac
}

aot_say() { [ "${MESH_AOT:-on}" = verbose ] && echo "mesh: $*" >&2; return 0; }

# The key over CLASSPATH (colon-separated): OPTIONS-JARS, two hashes of 8 hex digits, of the JDK
# build with the JVM options, and of the jars' paths, sizes and times. Nothing when an entry is not
# a jar file: the JVM caches classes from jars only, and a folder's classes change under one key.
aot_key() { # CLASSPATH
  local entry
  local -a entries
  IFS=: read -r -a entries <<<"$1"
  for entry in "${entries[@]}"; do
    [ -f "$entry" ] || return 1
  done
  local options jars
  options="$({ cat "$JAVA_HOME/release" 2>/dev/null; printf '%s\n' "${JAVA_OPTS_MESH[@]}" "${MESH_JAVA_OPTS:-}"; } \
    | sha256sum | cut -c1-8)"
  jars="$(stat -c '%n %s %Y' "${entries[@]}" | sha256sum | cut -c1-8)"
  echo "$options-$jars"
}

# Runs java with ARGS under NAME's cache for CLASSPATH: maps it when it exists, otherwise records
# it (a training run, which takes a few seconds more at exit). Replaces the shell when it maps.
aot_java() { # NAME CLASSPATH ARGS...
  local name="$1" cp="$2"; shift 2
  local dir="${MESH_AOT_DIR:-$ROOT/target/aot}" key
  if ! aot_enabled || ! key="$(aot_key "$cp")"; then
    aot_enabled && aot_say "no AOT cache for $name: its classpath has entries that are not jars"
    exec java "$@"
  fi
  local cache="$dir/$name-$key.aot"
  local log=()
  [ "${MESH_AOT:-on}" = verbose ] && log=(-Xlog:aot=info:stderr)
  if [ -f "$cache" ]; then
    aot_say "AOT cache used: $cache"
    exec java -XX:AOTCache="$cache" "${log[@]}" "$@"
  fi
  mkdir -p "$dir"
  local training="$dir/$name-$key.$$.training"
  echo "mesh: recording the AOT cache for $name (once per build; this run ends a few seconds later)" >&2
  local rc=0
  # the JVM reports the recording on stdout, which is the program's (generate's text): to stderr
  java -XX:AOTCacheOutput="$training" -XX:+DisplayVMOutputToStderr "${log[@]}" "$@" || rc=$?
  if [ -s "$training" ]; then
    # a rebuild makes the caches of the same options stale; other options keep theirs
    local old
    for old in "$dir/$name-${key%%-*}"-*.aot; do
      [ -e "$old" ] && [ "$old" != "$cache" ] && rm -f "$old"
    done
    mv -f "$training" "$cache"
    aot_say "AOT cache created: $cache"
  else
    echo "mesh: no AOT cache for $name was written; later runs try again (MESH_AOT=off to stop)" >&2
  fi
  rm -f "$training" "$training.config"
  return "$rc"
}
