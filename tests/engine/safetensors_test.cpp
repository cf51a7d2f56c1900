#include <gtest/gtest.h>

#include <cmath>

#include "io/safetensors.h"
#include "test_util.h"

namespace foley {
namespace {

using testing::floats_bytes;
using testing::safetensors_image;

std::string good_image() {
  return safetensors_image(
      R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("b":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},)"
      R"("c":{"dtype":"BF16","shape":[1],"data_offsets":[20,22]},)"
      R"("d":{"dtype":"I64","shape":[1],"data_offsets":[22,30]},)"
      R"("e":{"dtype":"U8","shape":[2],"data_offsets":[30,32]}})",
      floats_bytes({1, 2, 3, 4}) + std::string("\x00\x3c\x00\xc0", 4) /* 1.0, -2.0 */ +
          std::string("\x40\x40", 2) /* bf16 3.0 */ + std::string("\x07\0\0\0\0\0\0\0", 8) + std::string("\x01\x00", 2));
}

std::string error_of(const std::string& bytes) {
  try {
    io::SafetensorsFile::from_bytes(bytes.data(), bytes.size(), "test.safetensors");
  } catch (const EngineError& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, ReadsEveryDtype) {
  const std::string img = good_image();
  auto f = io::SafetensorsFile::from_bytes(img.data(), img.size(), "good");
  EXPECT_EQ(f->metadata().at("k"), "v");
  Tensor a = f->load_f32("a", {2, 2});
  EXPECT_EQ(a[3], 4.0f);
  Tensor b = f->load_f32("b");
  EXPECT_EQ(b[0], 1.0f);
  EXPECT_EQ(b[1], -2.0f);
  EXPECT_EQ(f->load_f32("c")[0], 3.0f);
  EXPECT_EQ(f->load_f32("d")[0], 7.0f);
  EXPECT_EQ(f->load_f32("e")[0], 1.0f);
  EXPECT_EQ(f->names().size(), 5u);
}

TEST(Safetensors, MemoryMapsFiles) {
  auto path = testing::write_temp("good.safetensors", good_image());
  auto f = io::SafetensorsFile::open(path);
  EXPECT_EQ(f->load_f32("a")[0], 1.0f);
}

TEST(Safetensors, HalfConversionEdgeCases) {
  EXPECT_EQ(io::half_to_float(0x0000), 0.0f);
  EXPECT_EQ(io::half_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(io::half_to_float(0x0001), 5.9604644775390625e-08f);  // smallest subnormal
  EXPECT_TRUE(std::isinf(io::half_to_float(0x7c00)));
  EXPECT_EQ(io::bfloat16_to_float(0x3f80), 1.0f);
}

TEST(Safetensors, MissingTensorNamesFileAndTensor) {
  const std::string img = good_image();
  auto f = io::SafetensorsFile::from_bytes(img.data(), img.size(), "good.safetensors");
  try {
    f->load_f32("zzz");
    FAIL();
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find("good.safetensors"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("zzz"), std::string::npos);
  }
}

TEST(Safetensors, WrongShapeIsAnError) {
  const std::string img = good_image();
  auto f = io::SafetensorsFile::from_bytes(img.data(), img.size(), "good.safetensors");
  EXPECT_THROW(f->load_f32("a", {4}), EngineError);
}

TEST(Safetensors, TruncatedFiles) {
  const std::string img = good_image();
  EXPECT_NE(error_of(img.substr(0, 4)), "");
  EXPECT_NE(error_of(img.substr(0, 20)), "");
  EXPECT_NE(error_of(img.substr(0, img.size() - 1)).find("'e'"), std::string::npos);
  EXPECT_NE(error_of(""), "");
}

TEST(Safetensors, BadHeaderLength) {
  std::string img = good_image();
  uint64_t huge = 1ull << 62;
  std::memcpy(img.data(), &huge, 8);
  EXPECT_NE(error_of(img).find("header length"), std::string::npos);
}

TEST(Safetensors, BadJson) {
  EXPECT_NE(error_of(safetensors_image("{not json", "")).find("JSON"), std::string::npos);
  EXPECT_NE(error_of(safetensors_image("[1,2]", "")).find("object"), std::string::npos);
  EXPECT_NE(error_of(safetensors_image(R"({"a":5})", "")), "");
  EXPECT_NE(error_of(safetensors_image(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", floats_bytes({1}))), "");
}

TEST(Safetensors, OffsetsOutOfRange) {
  auto img = safetensors_image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", floats_bytes({1}));
  EXPECT_NE(error_of(img).find("out of range"), std::string::npos);
  img = safetensors_image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", floats_bytes({1, 2, 3}));
  EXPECT_NE(error_of(img), "");
  img = safetensors_image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", floats_bytes({1}));
  EXPECT_NE(error_of(img), "");
}

TEST(Safetensors, ShapeAndOffsetsMustAgree) {
  auto img = safetensors_image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", floats_bytes({1, 2, 3}));
  EXPECT_NE(error_of(img).find("needs"), std::string::npos);
  img = safetensors_image(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", floats_bytes({1}));
  EXPECT_NE(error_of(img), "");
  img = safetensors_image(
      R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}})", floats_bytes({1}));
  EXPECT_NE(error_of(img), "");
}

TEST(Safetensors, OverlappingTensors) {
  auto img = safetensors_image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                               floats_bytes({1, 2, 3}));
  EXPECT_NE(error_of(img).find("overlaps"), std::string::npos);
}

TEST(Safetensors, BadDtype) {
  auto img = safetensors_image(R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}})", floats_bytes({1}));
  EXPECT_NE(error_of(img).find("dtype"), std::string::npos);
}

TEST(Safetensors, MissingFile) {
  EXPECT_THROW(io::SafetensorsFile::open("/nonexistent/x.safetensors"), EngineError);
}

}  // namespace
}  // namespace foley
