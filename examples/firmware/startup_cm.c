/* startup_cm.c - a minimal Cortex-M start-up: the vector table and a reset
   handler that copies .data from flash, zeroes .bss, turns on the FPU and
   calls main(). Enough to link and boot the example with cortex_m.ld; a real
   board adds its clock set-up and its own interrupt handlers. Works for
   Cortex-M4F, M7 and M55 (ARMv7E-M and ARMv8.1-M share this layout). */
#include <stdint.h>

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_top;
int main(void);

void Reset_Handler(void);
void Default_Handler(void);

void Default_Handler(void) {
    for (;;) { }
}

void Reset_Handler(void) {
    uint32_t *src = &__data_load, *dst = &__data_start;
    while (dst < &__data_end) *dst++ = *src++;
    for (dst = &__bss_start; dst < &__bss_end; ) *dst++ = 0;
#if defined(__ARM_FP)
    /* CPACR: full access to coprocessors 10 and 11 (the FPU), then make the
       change visible before the first floating-point instruction */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    (void)main();
    for (;;) { }
}

/* Initial stack pointer, then reset, NMI, HardFault, MemManage, BusFault,
   UsageFault, 4 reserved, SVCall, DebugMonitor, reserved, PendSV, SysTick.
   Device interrupts would follow. */
typedef void (*kws_vector)(void);
__attribute__((section(".vectors"), used))
const kws_vector kws_vector_table[16] = {
    (kws_vector)(uintptr_t)&__stack_top,
    Reset_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, 0, 0, 0, 0, Default_Handler, Default_Handler, 0,
    Default_Handler, Default_Handler
};
