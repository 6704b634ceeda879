{
  # Built by runtime/backend/libtorch/build.mjs (npm run build:libtorch), which sets LIBTORCH_INCLUDES,
  # LIBTORCH_LIBDIR, LIBTORCH_CXX11_ABI and LIBTORCH_CUDA_LIBS for a libtorch found in $LIBTORCH, a pip PyTorch or
  # Debian's libtorch-dev (/usr). Without node-gyp, build.mjs compiles these sources with these flags itself.
  "targets": [
    {
      "target_name": "icl_libtorch",
      "sources": ["addon.cc", "allocator_stats.cc", "bn_relu.cc", "process_group.cc", "layout.cc", "sgd.cc", "squeeze_excitation.cc"],
      "defines": ["<!@(node -p \"process.env.ICL_DEFINES || ''\")"],
      "include_dirs": ["<!@(node -p \"(process.env.LIBTORCH_INCLUDES || '').split(':').filter(Boolean).join(' ')\")"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14", "-std=c++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O3", "-fopenmp", "-D_GLIBCXX_USE_CXX11_ABI=<!(node -p \"process.env.LIBTORCH_CXX11_ABI || '1'\")", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": [
        "<!@(node -p \"process.env.LIBTORCH_LIBDIR ? '-L' + process.env.LIBTORCH_LIBDIR + ' -Wl,-rpath,' + process.env.LIBTORCH_LIBDIR : ''\")",
        "-ltorch", "-ltorch_cpu", "-lc10", "-fopenmp",
        "<!@(node -p \"process.env.LIBTORCH_CUDA_LIBS || ''\")"
      ]
    }
  ]
}
