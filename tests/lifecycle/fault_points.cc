#include "tests/lifecycle/fault_points.h"

#include <dlfcn.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <new>

namespace armorclaw::eventbus::testing::fault {
namespace {

// Allocations still to go before the armed one fails (0: disarmed), for the arming thread or for all
// the others; plain atomics and a trivially constructed thread_local, because operator new runs before
// anything else is set up and on every thread.
thread_local uint64_t this_thread_countdown = 0;
thread_local int spared_depth = 0;
std::atomic<uint64_t> other_threads_countdown{0};
std::atomic<pthread_t> exempt_thread{};
std::atomic<bool> fired{false};
std::atomic<bool> fail_thread_creation{false};

bool ShouldFail() {
  if (spared_depth > 0) return false;
  if (this_thread_countdown != 0 && --this_thread_countdown == 0) {
    fired = true;
    return true;
  }
  if (other_threads_countdown.load(std::memory_order_relaxed) == 0 ||
      pthread_equal(exempt_thread.load(), pthread_self())) {
    return false;
  }
  uint64_t left = other_threads_countdown.load();
  while (left != 0 && !other_threads_countdown.compare_exchange_weak(left, left - 1)) {
  }
  if (left == 1) {
    fired = true;
    return true;
  }
  return false;
}

void* Allocate(std::size_t size) {
  if (ShouldFail()) throw std::bad_alloc();
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}

void* AllocateAligned(std::size_t size, std::align_val_t alignment) {
  if (ShouldFail()) throw std::bad_alloc();
  const auto align = static_cast<std::size_t>(alignment);
  if (void* memory = std::aligned_alloc(align, (size + align - 1) / align * align)) return memory;
  throw std::bad_alloc();
}

}  // namespace

void FailNthAllocationOnThisThread(uint64_t n) {
  fired = false;
  this_thread_countdown = n;
}

void FailNthAllocationOnOtherThreads(uint64_t n) {
  fired = false;
  exempt_thread = pthread_self();
  other_threads_countdown = n;
}

bool AllocationFailed() { return fired; }

Spared::Spared() { ++spared_depth; }
Spared::~Spared() { --spared_depth; }

void FailThreadCreation(bool fail) { fail_thread_creation = fail; }

}  // namespace armorclaw::eventbus::testing::fault

namespace fault = armorclaw::eventbus::testing::fault;

// Every replaceable allocation function, so that memory always goes back the way it came. <new> declares
// them with default visibility, so the plugin finds them despite -fvisibility=hidden.
void* operator new(std::size_t size) { return fault::Allocate(size); }
void* operator new[](std::size_t size) { return fault::Allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return fault::Allocate(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void* operator new(std::size_t size, std::align_val_t alignment) { return fault::AllocateAligned(size, alignment); }
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return fault::AllocateAligned(size, alignment);
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete(void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
void operator delete[](void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
void operator delete(void* memory, std::align_val_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::align_val_t) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t, std::align_val_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t, std::align_val_t) noexcept { std::free(memory); }

// std::thread in the plugin reaches this before libc's (visible, unlike the rest of this executable).
extern "C" __attribute__((visibility("default"))) int pthread_create(pthread_t* thread, const pthread_attr_t* attributes, void* (*start)(void*),
                              void* argument) {
  using Create = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const auto real = reinterpret_cast<Create>(dlsym(RTLD_NEXT, "pthread_create"));
  if (fault::fail_thread_creation) return EAGAIN;
  return real(thread, attributes, start, argument);
}
