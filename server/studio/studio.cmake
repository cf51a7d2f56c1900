# Included by server/CMakeLists.txt: what the web studio (server/studio/*.cpp, compiled into
# foley_server) needs beyond the core server.
# Argon2id password hashing from Debian's libargon2 (PkgConfig::ARGON2, found at top level).
target_link_libraries(foley_server PUBLIC PkgConfig::ARGON2)
# Where `foley serve` finds the web studio's static files when --web-root is not given: the
# web/ folder of the source tree this binary was built from.
target_compile_definitions(foley_server PRIVATE
  FOLEY_STUDIO_DEFAULT_WEB_ROOT="${PROJECT_SOURCE_DIR}/web")
