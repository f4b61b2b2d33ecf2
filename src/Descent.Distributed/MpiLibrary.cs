using System.Runtime.InteropServices;

namespace Descent.Distributed;

/// <summary>
/// The few functions and predefined handles of Open MPI's C library that <see cref="MpiCommunicator"/> uses, found with
/// <see cref="NativeLibrary.GetExport"/>. Open MPI's handles (<c>MPI_COMM_WORLD</c>, <c>MPI_BYTE</c>, <c>MPI_SUM</c> …)
/// are the addresses of exported globals (<c>ompi_mpi_comm_world</c> …), so the export's address is the handle; this
/// is Open MPI's ABI, not MPICH's (whose handles are integers).
/// </summary>
internal sealed unsafe class MpiLibrary
{
    /// <summary>Open MPI 4.x and 5.x (ABI version 40), then whatever <c>libmpi</c> the linker finds.</summary>
    public static IReadOnlyList<string> DefaultNames { get; } =
        OperatingSystem.IsMacOS() ? ["libmpi.40.dylib", "libmpi.dylib"] : ["libmpi.so.40", "libmpi.so"];

    public const int Success = 0;
    public const int ThreadSerialized = 2;
    public const int MaxErrorString = 256;
    public static readonly void* InPlace = (void*)1;

    // Handles: MPI_Comm, MPI_Datatype, MPI_Op, MPI_Errhandler and MPI_Request are all pointers in Open MPI.
    public readonly nint CommWorld, Byte, Float, Double, OpSum, ErrorsReturn;

    public readonly delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int*, int> CommRank;
    public readonly delegate* unmanaged<nint, int*, int> CommSize;
    public readonly delegate* unmanaged<nint, nint, int> CommSetErrhandler;
    public readonly delegate* unmanaged<int, byte*, int*, int> ErrorString;
    public readonly delegate* unmanaged<nint, int, int> Abort;
    // sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls, recvtype, comm, request
    public readonly delegate* unmanaged<void*, int*, int*, nint, void*, int*, int*, nint, nint, nint*, int> Ialltoallv;
    // sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, comm, request
    public readonly delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, nint*, int> Iallgatherv;
    // buffer, count, datatype, root, comm, request
    public readonly delegate* unmanaged<void*, int, nint, int, nint, nint*, int> Ibcast;
    public readonly delegate* unmanaged<nint, nint*, int> Ibarrier;
    // request, flag, status (null: MPI_STATUS_IGNORE)
    public readonly delegate* unmanaged<nint*, int*, void*, int> Test;
    // sendbuf, recvbuf, count, datatype, op, comm
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;

    /// <summary>The library file that was loaded.</summary>
    public string FileName { get; }

    private readonly nint _handle;

    private MpiLibrary(nint handle, string fileName)
    {
        _handle = handle;
        FileName = fileName;
        CommWorld = Export("ompi_mpi_comm_world");
        Byte = Export("ompi_mpi_byte");
        Float = Export("ompi_mpi_float");
        Double = Export("ompi_mpi_double");
        OpSum = Export("ompi_mpi_op_sum");
        ErrorsReturn = Export("ompi_mpi_errors_return");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export("MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        Finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        CommSetErrhandler = (delegate* unmanaged<nint, nint, int>)Export("MPI_Comm_set_errhandler");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Export("MPI_Error_string");
        Abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        Ialltoallv = (delegate* unmanaged<void*, int*, int*, nint, void*, int*, int*, nint, nint, nint*, int>)Export("MPI_Ialltoallv");
        Iallgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, nint*, int>)Export("MPI_Iallgatherv");
        Ibcast = (delegate* unmanaged<void*, int, nint, int, nint, nint*, int>)Export("MPI_Ibcast");
        Ibarrier = (delegate* unmanaged<nint, nint*, int>)Export("MPI_Ibarrier");
        Test = (delegate* unmanaged<nint*, int*, void*, int>)Export("MPI_Test");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
    }

    /// <summary>Loads the first of <paramref name="names"/> that the platform's loader finds.</summary>
    /// <exception cref="MpiUnavailableException">None is found, or the one found is not Open MPI.</exception>
    public static MpiLibrary Load(IReadOnlyList<string> names)
    {
        foreach (string name in names)
        {
            if (!NativeLibrary.TryLoad(name, out nint handle)) continue;
            try
            {
                return new MpiLibrary(handle, name);
            }
            catch (EntryPointNotFoundException e)
            {
                NativeLibrary.Free(handle);
                throw new MpiUnavailableException(
                    $"{name} is not Open MPI's library ({e.Message}): Descent.Distributed binds Open MPI; {InstallHint}", e);
            }
        }
        throw new MpiUnavailableException($"Open MPI's library was not found (tried {string.Join(", ", names)}): {InstallHint}");
    }

    private const string InstallHint = "install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin; macOS: brew install open-mpi)";

    /// <summary>MPI's text for an error code, e.g. "MPI_ERR_TRUNCATE: message truncated".</summary>
    public string Describe(int errorCode)
    {
        byte* text = stackalloc byte[MaxErrorString];
        int length = 0;
        if (ErrorString(errorCode, text, &length) != Success) return $"MPI error {errorCode}";
        return $"{Marshal.PtrToStringUTF8((nint)text, Math.Clamp(length, 0, MaxErrorString))} (MPI error {errorCode})";
    }

    private nint Export(string name) =>
        NativeLibrary.TryGetExport(_handle, name, out nint address)
            ? address
            : throw new EntryPointNotFoundException($"it has no export {name}");
}
