# Warnings are errors on the project's own targets only; third-party headers come from
# Debian as system includes so their warnings never break our build.
function(foley_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion -Werror)
  if(FOLEY_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12's flow analysis under -fsanitize=address reports false "may be used
    # uninitialized" inside libstdc++ (std::regex's std::function state); the plain build keeps
    # the warning as an error.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()

if(FOLEY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# The engine's hot loops are written for AVX2/AVX-512 with runtime dispatch where it matters;
# the baseline build targets x86-64-v3 (AVX2, FMA) which every supported CPU has.
set(FOLEY_ARCH_FLAGS "-march=x86-64-v3" CACHE STRING "Baseline ISA flags for engine code")
