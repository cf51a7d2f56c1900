// NumberConditioner (stable-audio-tools conditioners.NumberConditioner + adp.NumberEmbedder):
// a scalar such as seconds_total becomes one conditioning token.
//   x = (clamp(s, min, max) − min)/(max − min)
//   feat = [x, sin(2π·x·w), cos(2π·x·w)]   (w: learned frequencies, order x, sin, cos)
//   token = Linear(feat)                    (-> cond_dim)
#pragma once

#include "core/tensor.h"
#include "model/model_config.h"
#include "model/weights.h"

namespace foley {

class NumberConditioner {
 public:
  NumberConditioner(const NumberConditionerConfig& config, int cond_dim, const WeightReader& weights);

  // Writes cond_dim floats.
  void embed(double value, float* out) const;
  int cond_dim() const { return cond_dim_; }

 private:
  NumberConditionerConfig config_;
  int cond_dim_;
  Tensor frequencies_;  // [half]
  Tensor weight_;       // [cond_dim, 2·half + 1]
  Tensor bias_;         // [cond_dim]
};

}  // namespace foley
