// keyprobe X Y W H N (benches/key_latency.sh runs it): presses 'x' N times via XTest; for each, the ms until the region
// (root coordinates) first reads differently. Prints each and the median.
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static double now_ms(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int c,char**v){
  Display*d=XOpenDisplay(NULL); if(!d){fprintf(stderr,"no display\n");return 1;}
  int x=atoi(v[1]),y=atoi(v[2]),w=atoi(v[3]),h=atoi(v[4]),n=atoi(v[5]);
  Window r=DefaultRootWindow(d); KeyCode k=XKeysymToKeycode(d,XK_x);
  double ms[64];
  for(int i=0;i<n&&i<64;i++){
    XImage*a=XGetImage(d,r,x,y,w,h,AllPlanes,ZPixmap);
    double s=now_ms();
    XTestFakeKeyEvent(d,k,True,0);XTestFakeKeyEvent(d,k,False,0);XFlush(d);
    for(;;){XImage*b=XGetImage(d,r,x,y,w,h,AllPlanes,ZPixmap);
      int diff=memcmp(a->data,b->data,(size_t)b->bytes_per_line*h);XDestroyImage(b);
      if(diff)break; if(now_ms()-s>3000)break;}
    ms[i]=now_ms()-s; XDestroyImage(a); printf("key %d: %.1f ms\n",i+1,ms[i]); fflush(stdout);
    usleep(700000);
  }
  qsort(ms,n,sizeof(double),cmp); printf("median of %d: %.1f ms\n",n,(ms[(n-1)/2]+ms[n/2])/2);
  return 0;}
