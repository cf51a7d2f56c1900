#include "ops/nearest_upsample.h"

#include <algorithm>

namespace foley::ops {

std::vector<float> fold_nearest_upsample(const float* w, int64_t cout, int64_t cin, int64_t stride) {
  const int64_t s = stride, k2 = 2 * s, k3 = nearest_upsample_kernel(s);
  std::vector<float> folded(static_cast<std::size_t>(cin * cout * k3), 0.0f);
  for (int64_t co = 0; co < cout; ++co) {
    for (int64_t ci = 0; ci < cin; ++ci) {
      const float* taps = w + (co * cin + ci) * k2;
      float* out = folded.data() + (ci * cout + co) * k3;
      for (int64_t e = 0; e < k3; ++e) {
        const int64_t d = e - s;  // output offset from the start of input frame j's copies
        const int64_t lo = std::max<int64_t>(0, s - 1 - d), hi = std::min<int64_t>(k2 - 1, 2 * s - 2 - d);
        double sum = 0.0;
        for (int64_t k = lo; k <= hi; ++k) sum += taps[k];
        out[e] = static_cast<float>(sum);
      }
    }
  }
  return folded;
}

}  // namespace foley::ops
