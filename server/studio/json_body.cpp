#include "foley/studio/json_body.h"

#include "foley/server/api_error.h"

namespace foley::studio {

nlohmann::json parse_json_object(const std::string& body, const std::string& content_type) {
  if (content_type.rfind("application/json", 0) != 0) {
    throw server::ApiError::unsupported_media_type("send the body as Content-Type: application/json");
  }
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception&) {
    throw server::ApiError::bad_request("the body is not valid JSON");
  }
  if (!parsed.is_object()) throw server::ApiError::bad_request("the body must be a JSON object");
  return parsed;
}

std::string required_string(const nlohmann::json& object, const std::string& field) {
  auto it = object.find(field);
  if (it == object.end()) throw server::ApiError::bad_request("field '" + field + "' is required");
  if (!it->is_string()) throw server::ApiError::bad_request("field '" + field + "' must be a string");
  return it->get<std::string>();
}

}  // namespace foley::studio
