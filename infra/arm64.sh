# What builds and runs the aarch64 code the template ships (arm64) on this x86_64 machine; sourced
# by infra/test.sh and infra/bench.sh. `arm64_toolchain` installs what is missing: the Rust target
# (rustup), Debian's cross compiler and C library (ring's build compiles C for aarch64) and qemu's
# user-mode emulator, which runs the target's test binaries; then exports cargo's linker, C
# compiler and test runner for the target.

arm64_target=aarch64-unknown-linux-gnu

arm64_toolchain() {
    rustup target list --installed | grep -qx "$arm64_target" || rustup target add "$arm64_target"
    if ! command -v aarch64-linux-gnu-gcc > /dev/null || [ ! -f /usr/aarch64-linux-gnu/include/stdint.h ] \
        || ! command -v qemu-aarch64-static > /dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static > /dev/null
    fi
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
    export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64-static -L /usr/aarch64-linux-gnu"
}
