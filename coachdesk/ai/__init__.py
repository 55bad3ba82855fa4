"""The on-device AI layer: GGUF models run by llama.cpp, on this computer only."""
