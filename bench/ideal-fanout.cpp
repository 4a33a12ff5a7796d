// Copied verbatim (below this header) from /work/shared/bench/ideal-fanout.cpp, the team's calibration loop
// for the physical limit of fan-out on the benchmark machine, so that the project does not depend on
// ../shared at run time. Built as the CMake target `ideal-fanout` (-O2); bench/run-benchmarks.sh runs it next
// to the eventbus-bench rows and parses its two human-readable lines. Keep it identical to the original
// apart from this header and the TLS mode, so that figures stay comparable with the team's notes
// (/work/shared/notes/beast-fanout-findings.md).
//
// TLS mode (--tls anywhere on the command line; everything else unchanged, so plain runs are the
// original's): the limit for wss:// here. Each connection does a TLS handshake (a P-256 certificate made in
// memory; TLS 1.3 with OpenSSL's default suite), then the server, per connection per loop pass, gathers the
// due pre-framed frames into one plaintext buffer and encrypts and sends it with ONE SSL_write straight on
// the socket (kernel socket BIO: no memory BIO, no extra copy of the ciphertext); the readers decrypt with
// SSL_read. "frames/syscall" then counts frames per SSL_write. The last line ends with " tls".
//
// --- original file ---
// Calibration: the physical limit of fan-out on this machine. An ideal single-threaded server (pre-framed
// 512-byte WebSocket frames shared by all connections, one writev per connection per loop pass, no parsing,
// no protocol) sends an open-loop event stream to N raw TCP readers on loopback; the readers measure each
// delivery's latency from the scheduled time embedded in the frame. Server pinned to CPU 0, readers to CPU 1.
// Build: g++ -O2 -o ideal-fanout ideal-fanout.cpp
// Run:   ./ideal-fanout CLIENTS EVENTS_PER_SECOND SECONDS PORT [MAX_FRAMES_PER_WRITE]
// Compare the project's benchmark against this, run on the same machine in the same session.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
static bool TLS=false;
// --tls: a self-signed P-256 certificate, made in memory, for the server's context.
static SSL_CTX* tls_server_context(){ SSL_CTX*x=SSL_CTX_new(TLS_server_method()); EVP_PKEY*k=EVP_EC_gen("P-256"); X509*c=X509_new();
  X509_set_version(c,2); ASN1_INTEGER_set(X509_get_serialNumber(c),1); X509_gmtime_adj(X509_getm_notBefore(c),0); X509_gmtime_adj(X509_getm_notAfter(c),86400);
  X509_set_pubkey(c,k); X509_NAME*n=X509_get_subject_name(c); X509_NAME_add_entry_by_txt(n,"CN",MBSTRING_ASC,(const unsigned char*)"localhost",-1,-1,0);
  X509_set_issuer_name(c,n); X509_sign(c,k,EVP_sha256()); SSL_CTX_use_certificate(x,c); SSL_CTX_use_PrivateKey(x,k); return x;}
// --tls: reads what the session has, a record at a time, until the socket has nothing more (or buf is full).
static ssize_t tls_read(SSL*s,char*buf,size_t n){ size_t got=0; while(got<n){ int r=SSL_read(s,buf+got,(int)(n-got)); if(r<=0)break; got+=r; } return got>0?(ssize_t)got:-1; }
static void pin(int c){cpu_set_t s;CPU_ZERO(&s);CPU_SET(c,&s);sched_setaffinity(0,sizeof s,&s);}
static long long now(){timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1000000000LL+t.tv_nsec;}
static double tv(const timeval&t){return t.tv_sec+t.tv_usec/1e6;}
constexpr int P=512, H=4, F=P+H;
int main(int argc,char**argv){
  { int k=1; for(int i=1;i<argc;i++){ if(!strcmp(argv[i],"--tls")) TLS=true; else argv[k++]=argv[i]; } argc=k; }
  SSL_CTX* sctx=TLS?tls_server_context():nullptr;
  int N=atoi(argv[1]); double R=atof(argv[2]); double secs=atof(argv[3]); int port=atoi(argv[4]); int maxk=argc>5?atoi(argv[5]):1024;
  long long total=(long long)(R*secs);
  int lfd=socket(AF_INET,SOCK_STREAM,0);int one=1;setsockopt(lfd,SOL_SOCKET,SO_REUSEADDR,&one,4);
  sockaddr_in a{};a.sin_family=AF_INET;a.sin_port=htons(port);a.sin_addr.s_addr=htonl(0x7f000001);
  if(bind(lfd,(sockaddr*)&a,sizeof a)){perror("bind");return 1;} listen(lfd,65535);
  int pfd[2]; pipe(pfd);
  pid_t pid=fork();
  if(pid==0){ pin(1);
    std::vector<int> fds(N); int ep=epoll_create1(0);
    SSL_CTX* cctx=TLS?SSL_CTX_new(TLS_client_method()):nullptr; std::vector<SSL*> ss(N,nullptr);
    for(int i=0;i<N;i++){int f=socket(AF_INET,SOCK_STREAM,0); if(connect(f,(sockaddr*)&a,sizeof a)){perror("connect");_exit(1);}
      if(TLS){ ss[i]=SSL_new(cctx); SSL_set_fd(ss[i],f); if(SSL_connect(ss[i])!=1){fprintf(stderr,"TLS handshake failed\n");_exit(1);} }
      fcntl(f,F_SETFL,O_NONBLOCK); epoll_event e{}; e.events=EPOLLIN; e.data.u32=i; epoll_ctl(ep,EPOLL_CTL_ADD,f,&e); fds[i]=f;}
    std::vector<int> fill(N,0); std::vector<char> asmb((size_t)N*F);
    std::vector<long long> lat; lat.reserve(std::min<long long>(total*(long long)N,60000000LL)); long long got=0, expect=total*(long long)N;
    static char buf[1<<16]; epoll_event ev[512]; rusage r0; getrusage(RUSAGE_SELF,&r0);
    while(got<expect){int n=epoll_wait(ep,ev,512,5000); if(n==0)break; for(int j=0;j<n;j++){int i=ev[j].data.u32; for(;;){ssize_t r=TLS?tls_read(ss[i],buf,sizeof buf):read(fds[i],buf,sizeof buf); if(r<=0)break; long long t=now();
        ssize_t off=0; while(off<r){int need=F-fill[i]; int c=std::min<ssize_t>(need,r-off); if(fill[i]<H+8){ memcpy(&asmb[(size_t)i*F+fill[i]],buf+off,std::min(c,H+8-fill[i])); }
          fill[i]+=c; off+=c; if(fill[i]==F){ long long ts; memcpy(&ts,&asmb[(size_t)i*F+H],8); if((long long)lat.size()<(long long)lat.capacity()) lat.push_back(t-ts); got++; fill[i]=0; }}
        if(r<(ssize_t)sizeof buf)break;}}}
    rusage r1; getrusage(RUSAGE_SELF,&r1);
    std::sort(lat.begin(),lat.end()); auto q=[&](double p){return lat.empty()?0:lat[std::min<size_t>(lat.size()-1,(size_t)(p*lat.size()))]/1e6;};
    printf("  client: delivered %lld/%lld  latency ms p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f | client cpu %.0f ns/delivery\n",got,expect,q(.5),q(.9),q(.99),q(.999),lat.empty()?0:lat.back()/1e6,
      (tv(r1.ru_utime)+tv(r1.ru_stime)-tv(r0.ru_utime)-tv(r0.ru_stime))/std::max(1LL,got)*1e9);
    fflush(stdout); _exit(0);}
  pin(0);
  std::vector<int> c(N); std::vector<SSL*> sc(N,nullptr);
  for(int i=0;i<N;i++){c[i]=accept(lfd,0,0); setsockopt(c[i],IPPROTO_TCP,TCP_NODELAY,&one,4);
    if(TLS){ sc[i]=SSL_new(sctx); SSL_set_fd(sc[i],c[i]); if(SSL_accept(sc[i])!=1){fprintf(stderr,"TLS handshake failed\n");return 1;} }}
  std::vector<char> plain(TLS?(size_t)1024*F:0); // --tls: one connection's due frames, gathered for its SSL_write
  sleep(1);
  // ring of pre-framed events (shared by all connections)
  const int RING=4096; std::vector<char> ring((size_t)RING*F,'x');
  for(int k=0;k<RING;k++){char*f=&ring[(size_t)k*F]; f[0]=(char)0x82; f[1]=126; f[2]=P>>8; f[3]=P&255;}
  std::vector<long long> sent(N,0); // events fully sent per connection
  long long produced=0; long long t0=now(); long long period=(long long)(1e9/R); std::vector<iovec> iov(1024);
  rusage r0; getrusage(RUSAGE_SELF,&r0); long long calls=0, frames=0;
  while(true){
    long long tnow=now(); long long due=std::min(total,(tnow-t0)/period+1);
    while(produced<due){ long long ts=t0+produced*period; memcpy(&ring[(size_t)(produced%RING)*F+H],&ts,8); produced++; }
    bool all=true;
    for(int i=0;i<N;i++){ long long from=sent[i]; long long to=std::min(produced,from+maxk); if(to>produced-RING+1) ; if(from>=to){ if(from<total) all=false; continue;}
      int k=0; for(long long e=from;e<to;e++){ iov[k].iov_base=&ring[(size_t)(e%RING)*F]; iov[k].iov_len=F; k++; }
      if(TLS){ if(k*F>(long long)plain.size()) plain.resize((size_t)k*F); for(int j=0;j<k;j++) memcpy(&plain[(size_t)j*F],iov[j].iov_base,F);
        if(SSL_write(sc[i],plain.data(),k*F)!=k*F){fprintf(stderr,"SSL_write failed\n");return 1;} calls++; sent[i]=to; frames+=k; if(to<total) all=false; continue; }
      ssize_t w=writev(c[i],iov.data(),k); calls++; if(w<0){perror("writev");return 1;}
      size_t want=(size_t)k*F; size_t off=w; while(off<want){ long long e=from+off/F; ssize_t x=send(c[i],&ring[(size_t)(e%RING)*F]+off%F,F-off%F,0); if(x<0){perror("send");return 1;} off+=x; calls++; }
      sent[i]=to; frames+=k; if(to<total) all=false; }
    if(all && produced>=total) break;
    if(produced>=total) continue;
    // idle until next event is due (coalescing happens naturally when a pass takes longer than the period)
    long long next=t0+produced*period; long long d=next-now(); if(d>0){ timespec ts{0,(long)d}; nanosleep(&ts,0);} }
  rusage r1; getrusage(RUSAGE_SELF,&r1);
  double su=tv(r1.ru_utime)-tv(r0.ru_utime), ss=tv(r1.ru_stime)-tv(r0.ru_stime);
  printf("N=%d rate=%.0f ev/s (%.2fM deliveries/s offered) maxK=%d: server cpu %.0f ns/delivery (usr %.0f sys %.0f), %.1f frames/syscall, util %.0f%% of a core%s\n",
    N,R,R*N/1e6,maxk,(su+ss)/frames*1e9,su/frames*1e9,ss/frames*1e9,(double)frames/calls,(su+ss)/secs*100,TLS?" tls":"");
  int st; waitpid(pid,&st,0); return 0;}
