// Files embedded at build time (server/CMakeLists.txt generates the definitions from
// api/openapi.json and docs/integration-prompt.md), so the binary serves them without the
// source tree.
#pragma once

#include <cstddef>
#include <string_view>

namespace foley::server::embedded {
extern const unsigned char kOpenApiJson[];
extern const std::size_t kOpenApiJsonSize;
extern const unsigned char kIntegrationPrompt[];
extern const std::size_t kIntegrationPromptSize;

inline std::string_view openapi_json() {
  return {reinterpret_cast<const char*>(kOpenApiJson), kOpenApiJsonSize};
}
inline std::string_view integration_prompt() {
  return {reinterpret_cast<const char*>(kIntegrationPrompt), kIntegrationPromptSize};
}
}  // namespace foley::server::embedded
