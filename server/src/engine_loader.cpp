#include <filesystem>
#include <stdexcept>

#include "foley/server/generation.h"

namespace foley::server {

std::unique_ptr<Engine> load_engine(const std::string& model_dir, const std::string& t5_dir,
                                    const EngineOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(model_dir, ec)) {
    throw EngineError("model directory '" + model_dir +
                      "' does not exist; pass --model DIR (a folder with model_config.json and "
                      "model.safetensors) or set FOLEY_MODEL");
  }
  ModelFiles files;
  files.model_dir = model_dir;
  if (!t5_dir.empty()) {
    files.t5_dir = t5_dir;
  } else if (fs::is_directory(fs::path(model_dir) / "t5", ec)) {
    files.t5_dir = fs::path(model_dir) / "t5";
  } else {
    files.t5_dir = model_dir;
  }
#ifdef FOLEY_HAVE_ENGINE_LOAD
  return Engine::load(files, options);
#else
  (void)options;
  throw EngineError("this build of foley has no inference engine yet (foley_engine does not "
                    "define Engine::load); rebuild once the engine is in place");
#endif
}

}  // namespace foley::server
