# shellcheck shell=bash disable=SC2034
# OpenWrt package architectures qlink-agent builds for, and what each means
# to the compiler, the ELF checks and the emulator. Sourced; target ARCH sets
# T_* or fails for an architecture not listed.
#   T_ZIG      zig's target triple (musl; arm is EABI hard-float)
#   T_CPU      zig's -mcpu (OpenWrt's CPU_TYPE, in zig's spelling)
#   T_ADDON_CPU  -mcpu for better-sqlite3's addon: the family's baseline where
#              it runs on every target of the family (aarch64: armv8-a), so the
#              two aarch64 packages share one build (minutes of zig each)
#   T_FAMILY   x86_64 | aarch64 | arm: node's and musl's names follow from it
#   T_MACHINE  what readelf -h says under Machine
#   T_CLASS    ELF32 | ELF64
#   T_GYP      node-gyp's --arch
#   T_LDSO     musl's loader on the router
#   T_QEMU     the qemu-user binary that runs it here (empty: native)
QLINK_ARCHES="x86_64 aarch64_cortex-a53 aarch64_generic arm_cortex-a7_neon-vfpv4"
target() {
  case $1 in
    x86_64) T_ZIG=x86_64-linux-musl T_CPU=x86_64 T_FAMILY=x86_64 ;;
    aarch64_cortex-a53) T_ZIG=aarch64-linux-musl T_CPU=cortex_a53 T_FAMILY=aarch64 ;;
    aarch64_generic) T_ZIG=aarch64-linux-musl T_CPU=generic T_FAMILY=aarch64 ;;
    arm_cortex-a7_neon-vfpv4) T_ZIG=arm-linux-musleabihf T_CPU=cortex_a7 T_FAMILY=arm ;;
    *) echo "unknown architecture $1 (one of: $QLINK_ARCHES)" >&2; return 1 ;;
  esac
  case $T_FAMILY in
    x86_64) T_ADDON_CPU=x86_64 T_MACHINE='Advanced Micro Devices X86-64' T_CLASS=ELF64 T_GYP=x64 T_LDSO=/lib/ld-musl-x86_64.so.1 T_QEMU= ;;
    aarch64) T_ADDON_CPU=generic T_MACHINE=AArch64 T_CLASS=ELF64 T_GYP=arm64 T_LDSO=/lib/ld-musl-aarch64.so.1 T_QEMU=qemu-aarch64-static ;;
    arm) T_ADDON_CPU=cortex_a7 T_MACHINE=ARM T_CLASS=ELF32 T_GYP=arm T_LDSO=/lib/ld-musl-armhf.so.1 T_QEMU=qemu-arm-static ;;
  esac
}
