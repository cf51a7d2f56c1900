// Reading the studio's small JSON request bodies with errors that name the field.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace foley::studio {

// The body as a JSON object, or ApiError 400 / 415 saying what is wrong.
nlohmann::json parse_json_object(const std::string& body, const std::string& content_type);
// A required string field (400 when missing or not a string).
std::string required_string(const nlohmann::json& object, const std::string& field);

}  // namespace foley::studio
